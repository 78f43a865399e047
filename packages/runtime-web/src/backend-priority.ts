/**
 * Priority of the web backend in core's registry: below `@vae/runtime-node` (100), so in Node the
 * native runtime wins when both are registered; in a browser it is the only one.
 */
export const WEB_BACKEND_PRIORITY = 50;
