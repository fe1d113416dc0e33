import { register } from 'node:module';
register('./module-trace-hook.mjs', import.meta.url);
