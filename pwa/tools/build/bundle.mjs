// The apps' JavaScript and CSS, bundled by esbuild into content-hashed files under assets/.
import * as esbuild from 'esbuild';
import { APPS } from './apps.mjs';

// Phones from about 2020 on: Android Chrome/WebView 87+, iOS 15+ (14.0 has a destructuring bug
// esbuild cannot work around), Firefox 78 ESR.
export const TARGET = ['es2020', 'chrome87', 'firefox78', 'safari15'];

const OFFLINE_CSS = 'src/offline/offline.css';

/**
 * Returns, per app key, `{js, css, preload, deferred}` as URLs, plus `offlineCss` and `lazy`.
 * `preload` lists the shared chunks an entry imports, for <link rel="modulepreload"> (no request
 * waterfall on 3G). `deferred`: the chunks of the app's `deferred` modules (apps.mjs) that the
 * entry does not already load: fetched by `import()` after the first render, not preloaded (on a
 * thin link they would compete with the first screen), but precached. `lazy`: the other chunks
 * only reached by a dynamic `import()` (the map), which the service worker does not precache:
 * they are fetched, and then cached, the first time they are used.
 */
export async function bundleApps(root, outdir) {
  // Two builds: the citizen app alone, the police apps together. Each request on a thin link costs
  // its round trip and its headers both ways (~0.15 s at 50 kbit/s), and chunks shared with the
  // police apps would cut the citizen's first screen into ~17 files instead of a handful; the
  // police apps still share their core and Preact with each other.
  const groups = [APPS.filter((app) => app.key === 'citizen'), APPS.filter((app) => app.key !== 'citizen')];
  const outputs = {};
  for (const [i, group] of groups.entries()) {
    const entryPoints = group.flatMap((app) => [
      { in: app.entry, out: app.key },
      { in: app.css, out: app.key },
    ]);
    if (i === groups.length - 1) entryPoints.push({ in: OFFLINE_CSS, out: 'offline' });
    const result = await esbuild.build({
      absWorkingDir: root,
      entryPoints,
      outdir: `${outdir}/assets`,
      bundle: true,
      splitting: true, // the core and Preact are shared by the police apps: one cached copy
      format: 'esm',
      minify: true,
      target: TARGET,
      entryNames: '[name]-[hash]',
      chunkNames: 'chunk-[hash]',
      assetNames: '[name]-[hash]',
      legalComments: 'none',
      charset: 'utf8',
      metafile: true,
      logLevel: 'warning',
    });
    Object.assign(outputs, result.metafile.outputs);
  }

  const urlOf = (outPath) => `/${outPath.slice(outPath.indexOf('assets/'))}`;
  const outputFor = (entry, ext) =>
    Object.keys(outputs).find((p) => outputs[p].entryPoint === entry && p.endsWith(ext));
  const staticImports = (outPath, seen = new Set()) => {
    for (const imp of outputs[outPath].imports) {
      if (imp.kind !== 'import-statement' || seen.has(imp.path)) continue;
      seen.add(imp.path);
      staticImports(imp.path, seen);
    }
    return seen;
  };

  const apps = {};
  const eager = new Set();
  for (const app of APPS) {
    const js = outputFor(app.entry, '.js');
    const imports = staticImports(js);
    eager.add(js);
    for (const path of imports) eager.add(path);
    const deferred = new Set();
    for (const entry of app.deferred ?? []) {
      const chunk = outputFor(entry, '.js');
      if (!chunk) throw new Error(`${entry} is not loaded by import() anywhere`);
      for (const path of [chunk, ...staticImports(chunk)]) {
        if (path !== js && !imports.has(path)) deferred.add(path);
      }
    }
    for (const path of deferred) eager.add(path);
    apps[app.key] = {
      js: urlOf(js),
      css: urlOf(outputFor(app.css, '.css')),
      preload: [...imports].sort().map(urlOf),
      deferred: [...deferred].sort().map(urlOf),
    };
  }
  const lazy = Object.keys(outputs)
    .filter((p) => p.endsWith('.js') && !eager.has(p))
    .sort()
    .map(urlOf);
  return { apps, offlineCss: urlOf(outputFor(OFFLINE_CSS, '.css')), lazy };
}

/** The service worker: one classic script (module workers are not supported everywhere yet). */
export async function bundleServiceWorker(root, outfile, manifest) {
  const virtual = {
    name: 'sw-manifest',
    setup(build) {
      build.onResolve({ filter: /^sw-manifest$/ }, () => ({ path: 'sw-manifest', namespace: 'sw' }));
      build.onLoad({ filter: /.*/, namespace: 'sw' }, () => ({
        contents: Object.entries(manifest)
          .map(([name, value]) => `export const ${name} = ${JSON.stringify(value)};`)
          .join('\n'),
        loader: 'js',
      }));
    },
  };
  await esbuild.build({
    absWorkingDir: root,
    entryPoints: ['src/sw/index.js'],
    outfile,
    bundle: true,
    format: 'iife',
    minify: true,
    target: TARGET,
    legalComments: 'none',
    charset: 'utf8',
    plugins: [virtual],
    logLevel: 'warning',
  });
}
