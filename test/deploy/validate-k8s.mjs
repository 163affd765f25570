// Validates Kubernetes objects (JSON array on stdin) against the API schemas shipped by the npm
// package kubernetes-models (ESM-only, hence a separate node process). Prints
// [{kind, name, error|null}] as JSON.
const input = JSON.parse(await new Promise((resolve) => {
  let s = '';
  process.stdin.on('data', (d) => (s += d));
  process.stdin.on('end', () => resolve(s));
}));
const out = [];
for (const obj of input) {
  const [group, version] = obj.apiVersion.includes('/') ? obj.apiVersion.split('/') : [null, obj.apiVersion];
  const path = group ? `kubernetes-models/${group}/${version}` : `kubernetes-models/${version}`;
  let error = null;
  try {
    const mod = await import(path);
    const Model = mod[obj.kind];
    if (!Model) throw new Error(`no model for ${obj.apiVersion} ${obj.kind}`);
    new Model(obj).validate();
  } catch (err) {
    error = String(err && err.message ? err.message : err);
  }
  out.push({ kind: obj.kind, name: obj.metadata?.name, error });
}
process.stdout.write(JSON.stringify(out));
