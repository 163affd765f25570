// Copies non-TypeScript assets (Lua scripts, workflow templates, the dashboard page) next to the compiled output.
const { cpSync, readdirSync, existsSync } = require('node:fs');
const { join } = require('node:path');
const root = join(__dirname, '..');
for (const lib of readdirSync(join(root, 'libs'))) {
  const from = join(root, 'libs', lib, 'src', 'commands');
  if (existsSync(from)) cpSync(from, join(root, 'dist', 'libs', lib, 'src', 'commands'), { recursive: true });
  const workflows = join(root, 'libs', lib, 'workflows');
  if (existsSync(workflows)) cpSync(workflows, join(root, 'dist', 'libs', lib, 'workflows'), { recursive: true });
}
const dashboard = join(root, 'apps', 'godel', 'src', 'dashboard', 'public');
cpSync(dashboard, join(root, 'dist', 'apps', 'godel', 'src', 'dashboard', 'public'), { recursive: true });
