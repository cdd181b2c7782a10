// See ../esm-as-cjs.cjs.
module.exports = require('../esm-as-cjs.cjs')('cookie');
