import express, { type Request, type Response, type Router } from 'express';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';

// Serves the built console (console/ built by Vite into dist/console) at /console.

/**
 * No inline script or style element, nothing from elsewhere: the built bundle is all files of our
 * own origin, so a strict policy costs nothing and an injected <script> cannot run.
 */
export const CONSOLE_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "font-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

/** dist/console of the checkout or image: found from this file, whether it runs from src/ (tests) or dist/src/. */
export function defaultConsoleDir(): string {
  let dir = __dirname;
  while (!existsSync(join(dir, 'package.json')) && dirname(dir) !== dir) dir = dirname(dir);
  return join(dir, 'dist', 'console');
}

function setSecurityHeaders(res: Response): void {
  res.set({
    'Content-Security-Policy': CONSOLE_CSP,
    'X-Content-Type-Options': 'nosniff',
    'X-Frame-Options': 'DENY',
    'Referrer-Policy': 'no-referrer',
  });
}

export function consoleRouter(opts: { dir?: string } = {}): Router {
  const dir = opts.dir ?? defaultConsoleDir();
  const router = express.Router();
  router.use((_req, res, next) => {
    setSecurityHeaders(res);
    next();
  });
  // Vite names every asset after its content hash: a new build is a new name, so they may be kept forever.
  router.use(
    '/assets',
    express.static(join(dir, 'assets'), { immutable: true, maxAge: '365d', index: false, fallthrough: false }),
  );
  router.use(express.static(dir, { index: false, maxAge: 0 }));
  // Client-side routes (/console/users/...) all load the one page; it is re-read on every visit.
  router.get(/.*/, (_req: Request, res: Response) => {
    const index = join(dir, 'index.html');
    if (!existsSync(index)) {
      res.status(503).type('application/problem+json').json({
        type: 'about:blank',
        title: 'Service Unavailable',
        status: 503,
        detail: 'the console is not built: run npm run build (or npm start)',
      });
      return;
    }
    res.set('Cache-Control', 'no-cache');
    res.sendFile(index);
  });
  return router;
}
