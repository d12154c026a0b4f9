import express from 'express';
import request from 'supertest';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CONSOLE_CSP, consoleRouter } from '../../src/admin/console-static';

// How the built console is served at /console: the page, client-side routes, hashed assets, and the CSP.

const dir = mkdtempSync(join(tmpdir(), 'console-'));
mkdirSync(join(dir, 'assets'));
writeFileSync(join(dir, 'index.html'), '<!doctype html><title>console</title><script type="module" src="/console/assets/index-abc123.js"></script>');
writeFileSync(join(dir, 'assets', 'index-abc123.js'), 'console.log(1)');
const app = express().use('/console', consoleRouter({ dir }));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the console at /console', () => {
  it('serves the page with a strict CSP that allows no inline script, re-read on every visit', async () => {
    const res = await request(app).get('/console/');
    expect(res.status).toBe(200);
    expect(res.text).toContain('<title>console</title>');
    expect(res.headers['content-security-policy']).toBe(CONSOLE_CSP);
    expect(CONSOLE_CSP).toContain("script-src 'self';");
    expect(CONSOLE_CSP).not.toContain('unsafe-inline');
    expect(res.headers['cache-control']).toBe('no-cache');
    expect(res.headers['x-frame-options']).toBe('DENY');
  });

  it('answers client-side routes with the same page', async () => {
    const res = await request(app).get('/console/users/d1/u1');
    expect(res.status).toBe(200);
    expect(res.text).toContain('<title>console</title>');
  });

  it('lets browsers keep hashed assets for a year', async () => {
    const res = await request(app).get('/console/assets/index-abc123.js');
    expect(res.status).toBe(200);
    expect(res.headers['cache-control']).toBe('public, max-age=31536000, immutable');
  });

  it('answers 404 for an asset that does not exist, not the page', async () => {
    const res = await request(app).get('/console/assets/index-gone.js');
    expect(res.status).toBe(404);
    expect(res.text).not.toContain('<title>console</title>');
  });

  it('says how to build the console when it is not built', async () => {
    const bare = express().use('/console', consoleRouter({ dir: join(dir, 'nothing') }));
    const res = await request(bare).get('/console/');
    expect(res.status).toBe(503);
    expect(res.body.detail).toBe('the console is not built: run npm run build (or npm start)');
  });
});
