/**
 * The manager's HTTPS endpoints: `/healthz`, `/readyz`, `/livez`, `/metrics` and `/configz` on
 * `--bind-address:--secure-port` behind delegated authentication, and the admission webhooks on
 * their own port. Both start before leader election, as upstream: a standby is observable too.
 *
 * @module
 */
import { resolveControllerAliases } from './options/controller-selection.js';
import { AUTH_CLIENT } from './clients.js';
import { componentConfig, configzBody } from './component-config.js';
import { CONTROLLER_CATALOG } from './controllers.js';
import type { ManagerParts } from './build.js';
import { tlsServerOptions } from './serving/tls-options.js';
import { DelegatedAuth } from './serving/delegated-auth.js';
import { startServing } from './serving/index.js';
import type { HealthCheck } from './serving/index.js';
import { startWebhookServing } from './webhooks/index.js';

/** The checks the serving endpoints run on every request (the arrays may grow while serving). */
export interface ManagerHealthChecks {
  readonly healthz: HealthCheck[];
  readonly readyz: HealthCheck[];
}

/** Started endpoints. */
export interface ManagerServing {
  /** Stops both servers; never rejects. */
  close(): Promise<void>;
}

/** Starts the secure endpoints (unless `--secure-port=0`) and the webhooks (when any are served). */
export async function startManagerServing(parts: ManagerParts, checks: ManagerHealthChecks): Promise<ManagerServing> {
  const { options: o, logger: log, clock } = parts;
  const servers: { close(): Promise<void> }[] = [];
  const close = async (): Promise<void> => {
    await Promise.all(servers.map((s) => s.close().catch(() => {})));
  };
  try {
    if (parts.webhooks.length > 0) {
      servers.push(
        await startWebhookServing({
          bindAddress: o.webhookBindAddress,
          securePort: o.webhookSecurePort,
          ...(o.webhookTlsCertFile === '' ? {} : { tlsCertFile: o.webhookTlsCertFile }),
          ...(o.webhookTlsPrivateKeyFile === '' ? {} : { tlsPrivateKeyFile: o.webhookTlsPrivateKeyFile }),
          certDir: o.webhookCertDir,
          tls: tlsServerOptions({ minVersion: o.webhookTlsMinVersion, cipherSuites: o.webhookTlsCipherSuites, curvePreferences: o.webhookTlsCurvePreferences }, '--webhook-'),
          webhooks: parts.webhooks,
          metrics: parts.metrics,
          logger: log.withName('webhooks'),
        }),
      );
    }
    if (o.securePort !== 0) {
      const serving = await startServing({
        bindAddress: o.bindAddress,
        securePort: o.securePort,
        ...(o.tlsCertFile === '' ? {} : { tlsCertFile: o.tlsCertFile }),
        ...(o.tlsPrivateKeyFile === '' ? {} : { tlsPrivateKeyFile: o.tlsPrivateKeyFile }),
        certDir: o.certDir,
        tls: tlsServerOptions({ minVersion: o.tlsMinVersion, cipherSuites: o.tlsCipherSuites, curvePreferences: o.tlsCurvePreferences }),
        alwaysAllowPaths: o.authorizationAlwaysAllowPaths,
        auth: new DelegatedAuth({
          kube: parts.clients.get(AUTH_CLIENT) ?? parts.root,
          clock,
          authnCacheTtlMs: o.authenticationTokenWebhookCacheTtlMs,
          authzAllowedTtlMs: o.authorizationWebhookCacheAuthorizedTtlMs,
          authzDeniedTtlMs: o.authorizationWebhookCacheUnauthorizedTtlMs,
        }),
        metrics: parts.metrics,
        healthz: checks.healthz,
        readyz: checks.readyz,
        livez: [{ name: 'ping', check: () => {} }],
        configz: configzBody(componentConfig(o, resolveControllerAliases(o.controllers, CONTROLLER_CATALOG), parts.migration)),
        logger: log.withName('serving'),
      });
      servers.push(serving);
      log.info('Serving securely', { address: `${o.bindAddress}:${serving.port}` });
    }
  } catch (err) {
    await close();
    throw err;
  }
  return { close };
}
