// Runs in a piscina worker thread: bcryptjs is pure JavaScript and would otherwise hold the
// event loop for ~75 ms per hash. Plain CommonJS so the same file serves tests and dist.
const os = require('node:os');
const bcrypt = require('bcryptjs');

// On Linux a nice value belongs to a thread, and setpriority(pid 0) changes the calling thread
// only: this worker, not the event loop. So when the cores are busy, a login storm yields to
// requests already being served (/me keeps its core) and still has every idle cycle for itself.
try {
  os.setPriority(0, Math.min(19, os.getPriority(0) + 5));
} catch {
  // not permitted or not supported: run at the process's priority
}

module.exports = {
  hash: ({ password, cost }) => bcrypt.hashSync(password, cost),
  verify: ({ password, hash }) => bcrypt.compareSync(password, hash),
};
