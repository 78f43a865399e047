// `node --import ./record-imports.mjs …`: appends every resolved module URL to $RECORD_IMPORTS.
import { register } from 'node:module';

register('./record-imports-hooks.mjs', import.meta.url);
