import SwaggerParser from '@apidevtools/swagger-parser';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineCommand, describeApp, service } from '@tandem/core';
import { openApiDocument } from '../src/index.js';
import { ordersService } from './fixtures.js';

const Archive = defineCommand('orders.archive', {
  route: { method: 'PUT', path: '/orders/:id/archive' },
  input: z.object({ id: z.string(), reason: z.string().optional() }),
  output: z.void(),
});

describe('openApiDocument', () => {
  const model = describeApp([ordersService(), service('archive').command(Archive, async () => undefined)]);
  const doc = openApiDocument(model, { title: 'orders', version: '1.0.0', basePath: '/api' });

  it('validates as OpenAPI 3.1 with swagger-parser', async () => {
    const validated = await SwaggerParser.validate(structuredClone(doc) as never);
    expect((validated as { openapi: string }).openapi).toBe('3.1.0');
    // The validator does reject a broken document (so the check above can fail).
    const broken = structuredClone(doc) as { paths: Record<string, Record<string, { responses?: unknown }>> };
    delete broken.paths['/api/commands/orders.place']!.post!.responses;
    broken.paths['/api/commands/orders.place']!.post!.responses = 'none';
    await expect(SwaggerParser.validate(broken as never)).rejects.toThrow();
  });

  it('follows the route convention and overrides, with path parameters and problem responses', () => {
    const paths = doc.paths as Record<string, Record<string, Record<string, unknown>>>;
    expect(Object.keys(paths).sort()).toEqual([
      '/api/commands/orders.broken',
      '/api/commands/orders.place',
      '/api/commands/orders.slow',
      '/api/orders/{id}',
      '/api/orders/{id}/archive',
      '/api/queries/orders.get',
    ]);
    const place = paths['/api/commands/orders.place']!.post!;
    expect(place.operationId).toBe('orders.place');
    expect(place.requestBody).toMatchObject({
      content: { 'application/json': { schema: { type: 'object', required: ['sku', 'qty'] } } },
    });
    expect(Object.keys(place.responses as object)).toEqual(
      expect.arrayContaining(['200', '400', '409', '413', '422', '503']),
    );
    const archive = paths['/api/orders/{id}/archive']!.put!;
    expect(Object.keys(archive.responses as object)).toContain('204');
    expect(Object.keys(archive.responses as object)).not.toContain('200');
    expect(archive.parameters).toContainEqual({ name: 'id', in: 'path', required: true, schema: { type: 'string' } });
    const get = paths['/api/queries/orders.get']!.get!;
    expect(get.requestBody).toBeUndefined();
    expect((get.parameters as Array<{ name: string }>).map((p) => p.name)).toContain('input');
  });
});
