// The OpenAPI document: valid OpenAPI 3.0, and every route of the service in it with its request
// and response schemas.
import { readFileSync } from 'node:fs';
import { Ajv } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createApiHarness, type ApiHarness } from '../test/helpers/api.ts';

// ajv-formats' types describe its CommonJS module object; at run time the default import is the function
const addFormats = addFormatsModule as unknown as (ajv: Ajv) => void;

let h: ApiHarness;
let doc: any;
beforeAll(async () => {
  h = await createApiHarness('api_openapi');
  const r = await h.app.inject({ url: '/docs/json' });
  expect(r.statusCode).toBe(200);
  doc = r.json();
});
afterAll(async () => {
  await h?.close();
});

/** The service's routes as fastify has them ([method, OpenAPI path]), read from its route tree. */
function appRoutes(): [string, string][] {
  const out: [string, string][] = [];
  const stack: string[] = [];
  for (const line of h.app.printRoutes({ commonPrefix: false }).split('\n')) {
    const m = /^((?:[│ ]   )*)(?:[├└]── )?(\S+) \(([^)]*)\)$/.exec(line);
    if (!m) continue;
    const depth = m[1].length / 4 + (line.includes('── ') ? 1 : 0);
    stack.length = depth;
    stack[depth] = m[2];
    const url = stack.join('').replace(/\/+/g, '/');
    for (const method of m[3].split(', ')) if (method !== 'HEAD') out.push([method.toLowerCase(), url.replace(/:(\w+)/g, '{$1}')]);
  }
  // the documentation's own routes and the root redirect are not part of the API
  return out.filter(([, url]) => url !== '/' && !url.startsWith('/docs'));
}

it('is a valid OpenAPI 3.0 document', () => {
  const ajv = new Ajv({ strict: false, allErrors: true });
  addFormats(ajv);
  const validate = ajv.compile(JSON.parse(readFileSync(new URL('./testdata/openapi-3.0.schema.json', import.meta.url), 'utf8')));
  expect(validate(doc), JSON.stringify(validate.errors, null, 2)).toBe(true);
});

it('lists every route with its request and response schemas', () => {
  const routes = appRoutes();
  expect(routes.length).toBeGreaterThanOrEqual(15);
  const resolve = (s: any) => (s?.$ref ? doc.components.schemas[s.$ref.split('/').pop()] : s);
  for (const [method, url] of routes) {
    const op = doc.paths[url]?.[method];
    expect(op, `${method} ${url}`).toBeDefined();
    expect(op.summary, `${method} ${url}`).toBeTruthy();
    const pathParams = [...url.matchAll(/\{(\w+)\}/g)].map((x) => x[1]);
    expect((op.parameters ?? []).filter((p: any) => p.in === 'path').map((p: any) => p.name).sort()).toEqual(pathParams.sort());
    for (const p of op.parameters ?? []) expect(p.schema, `${method} ${url} ${p.name}`).toBeDefined();
    if (method === 'post' && !url.endsWith('/revoke')) expect(op.requestBody?.content, `${method} ${url}`).toBeDefined();
    const success = Object.keys(op.responses).find((c) => c.startsWith('2'))!;
    expect(success, `${method} ${url}`).toBeDefined();
    if (success !== '204') {
      const content = Object.values(op.responses[success].content ?? {}) as any[];
      expect(content.length, `${method} ${url} ${success}`).toBeGreaterThan(0);
      expect(resolve(content[0].schema), `${method} ${url}`).toBeDefined();
    }
    // the open routes (the page, its script, the templates) declare no security and answer no 401/403
    const open = Array.isArray(op.security) && op.security.length === 0;
    expect(open, `${method} ${url}`).toBe(['/upload', '/upload/app.js', '/templates/{file}'].includes(url));
    if (!open) {
      for (const code of ['401', '403']) expect(resolve(op.responses[code]?.content?.['application/json']?.schema)?.required, `${method} ${url} ${code}`).toContain('messageZh');
    }
  }
});

it('serves a readable documentation page at /docs', async () => {
  const r = await h.app.inject({ url: '/docs' });
  expect(r.statusCode).toBe(200);
  expect(r.headers['content-type']).toContain('text/html');
});
