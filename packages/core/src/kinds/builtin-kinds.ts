/** Registers the built-in model kinds (importing this module is enough). */
import './ae.js';
import './sparse-ae.js';
import './denoising-ae.js';
import './contractive-ae.js';
import './vae.js';
import './beta-vae.js';
import './cvae.js';
import './beta-tcvae.js';
