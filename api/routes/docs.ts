import path from 'node:path';
import { Router } from 'express';
import { getAbsoluteFSPath } from 'swagger-ui-dist';
import { docsAssetParamsSchema } from '../../contract';
import { openApiDocument } from '../openapi';

const DOCS_PAGE = `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>Toolsmith API</title><link rel="stylesheet" href="/docs/assets/swagger-ui.css"></head>
<body><div id="swagger-ui"></div>
<script src="/docs/assets/swagger-ui-bundle.js"></script>
<script>window.ui = SwaggerUIBundle({ url: '/openapi.json', dom_id: '#swagger-ui' });</script>
</body></html>`;

/** The OpenAPI document and a page that renders it, served from the bundled swagger-ui (no CDN). */
export function docsRouter(): Router {
  const router = Router();
  const document = openApiDocument();
  router.get('/openapi.json', (_req, res) => {
    res.json(document);
  });
  router.get('/docs', (_req, res) => {
    res.type('html').send(DOCS_PAGE);
  });
  // Only the page's own two files: the rest of the swagger-ui package is not ours to serve.
  router.get('/docs/assets/:asset', (req, res, next) => {
    const asset = docsAssetParamsSchema.safeParse(req.params);
    if (!asset.success) return next();
    res.sendFile(path.join(getAbsoluteFSPath(), asset.data.asset), { maxAge: '1h' });
  });
  return router;
}
