/** Registers the built-in layer types (importing this module is enough). */
import './dense.js';
import './conv2d.js';
import './conv2d-transpose.js';
import './reshape.js';
import './flatten.js';
import './batch-norm.js';
