// The repository's verification: runs every checks/*.js (each throws on failure).
const fs = require('fs');
const path = require('path');
const dir = path.join(__dirname, 'checks');
const files = fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => f.endsWith('.js')) : [];
for (const f of files) {
  require(path.join(dir, f));
  console.log('ok', f);
}
console.log(`${files.length} checks passed`);
