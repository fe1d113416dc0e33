/**
 * Which registered webhooks `--webhooks` turns on: the same `*` / `name` / `-name` algorithm as
 * `--controllers` (upstream uses `IsControllerEnabled` for both), with nothing on while the flag
 * is empty, and unknown names refused as upstream's `WebhookOptions.Validate`.
 *
 * @module
 */
import { FlagError } from '../options/flag-error.js';
import { isControllerEnabled } from '../options/controller-selection.js';
import type { AdmissionWebhook } from './admission.js';

/** A webhook registration the manager refuses (duplicate name or path, bad path). */
export class WebhookRegistrationError extends Error {
  /** The operator's input is at fault: the manager prints the message alone and exits 2. */
  readonly isInputError = true;
  override readonly name = 'WebhookRegistrationError';
}

/**
 * @param registered the webhooks the caller registered.
 * @param list `--webhooks` as given.
 * @throws FlagError naming `--webhooks` for a name no webhook has; WebhookRegistrationError for a bad registration.
 */
export function enabledWebhooks(registered: readonly AdmissionWebhook[], list: readonly string[]): AdmissionWebhook[] {
  const names = new Set<string>();
  const paths = new Set<string>();
  for (const w of registered) {
    if (w.name === '' || w.name.startsWith('-') || w.name === '*') throw new WebhookRegistrationError(`webhook name ${JSON.stringify(w.name)} is not usable in --webhooks`);
    if (!w.path.startsWith('/')) throw new WebhookRegistrationError(`webhook ${JSON.stringify(w.name)}: path ${JSON.stringify(w.path)} must start with "/"`);
    if (names.has(w.name)) throw new WebhookRegistrationError(`webhook ${JSON.stringify(w.name)} is registered twice`);
    if (paths.has(w.path)) throw new WebhookRegistrationError(`webhook ${JSON.stringify(w.name)}: path ${w.path} is already served by another webhook`);
    names.add(w.name);
    paths.add(w.path);
  }
  for (const entry of list) {
    const bare = entry.startsWith('-') ? entry.slice(1) : entry;
    if (entry === '*' || names.has(bare)) continue;
    const known = [...names].sort().join(', ');
    throw new FlagError('--webhooks', entry, `--webhooks: ${JSON.stringify(bare)} is not in the list of known webhooks${known === '' ? ' (none are registered)' : `: ${known}`}`);
  }
  return registered.filter((w) => isControllerEnabled(w.name, list));
}
