// A local stand-in for the Hugging Face hub in tests: serves public/models/<name>/<file> under the hub's URL
// layout {host}/{owner}/{name}/resolve/{revision}/{file}, and counts requests so a test can prove a second load
// came from the browser cache. Only ever used by the browser test tier (vitest.config.ts).
import { createReadStream, existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Plugin } from 'vite';

export function hubMirror(): Plugin {
  const hits: Record<string, number> = {};
  return {
    name: 'tabtune-hub-mirror',
    configureServer(server) {
      server.middlewares.use((req, res, next) => {
        if (req.url === '/hub-stats') {
          res.setHeader('content-type', 'application/json');
          res.end(JSON.stringify(hits));
          return;
        }
        const m = /^\/hub\/([\w.-]+)\/([\w.-]+)\/resolve\/([\w.-]+)\/([\w./-]+)$/.exec(req.url ?? '');
        if (!m) return next();
        const [, , name, revision, file] = m;
        const key = `${name}@${revision}/${file}`;
        hits[key] = (hits[key] ?? 0) + 1;
        const path = resolve('public/models', name, file);
        if (!path.startsWith(resolve('public/models')) || !existsSync(path) || revision === 'missing') {
          res.statusCode = 404;
          res.end('Entry not found');
          return;
        }
        res.setHeader('content-length', String(statSync(path).size));
        res.setHeader('content-type', file.endsWith('.json') ? 'application/json' : 'application/octet-stream');
        createReadStream(path).pipe(res);
      });
    },
  };
}
