// `node --import ./test/no-tfjs/register.mjs …`: runs a program as if no `@tensorflow/*` package were
// installed (see hooks.mjs); the attempts are logged to $VAE_NO_TFJS_LOG.
import { register } from 'node:module';

if (!process.env.VAE_NO_TFJS_LOG) throw new Error('VAE_NO_TFJS_LOG: expected a log file path, got nothing');
register('./hooks.mjs', import.meta.url, { data: { log: process.env.VAE_NO_TFJS_LOG } });
