// Runs in a piscina worker thread: bcryptjs is pure JavaScript and would otherwise hold the
// event loop for ~75 ms per hash. Plain CommonJS so the same file serves tests and dist.
const bcrypt = require('bcryptjs');

module.exports = {
  hash: ({ password, cost }) => bcrypt.hashSync(password, cost),
  verify: ({ password, hash }) => bcrypt.compareSync(password, hash),
};
