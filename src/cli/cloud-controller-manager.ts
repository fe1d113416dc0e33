#!/usr/bin/env node
/**
 * The `cloud-controller-manager` entry: the same as `outrigger run`, so an upstream Deployment's
 * command and arguments work unchanged.
 *
 * @module
 */
import { defaultRegistry } from '../cloud/registry.js';
import { runCloudControllerManager } from '../manager/run.js';
import { registerBuiltinProviders } from '../providers/builtin.js';
import { exitAfterFlush } from './exit-after-flush.js';

await exitAfterFlush(await runCloudControllerManager({ argv: process.argv.slice(2), registry: registerBuiltinProviders(defaultRegistry) }));
