import { Router, type Response } from 'express';
import { consoleBundle } from '../console-bundle';
import { consoleAssetParamsSchema, type ConsoleAsset } from '../../contract';

const CONSOLE_PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Toolsmith</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/assets/console.css">
<script src="/assets/console.js" defer></script>
</head>
<body><div id="app"><noscript>The Toolsmith console needs JavaScript; the API itself is at /api/v1 (see /docs).</noscript></div></body>
</html>`;

/**
 * The page loads only itself: no script, style, font or image of another origin, and nothing a
 * tool's output might smuggle in as markup would run even if it were ever interpreted.
 */
const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "connect-src 'self'",
  "img-src 'self' data:",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

const CONTENT_TYPES: Record<ConsoleAsset, string> = {
  'console.js': 'text/javascript; charset=utf-8',
  'console.css': 'text/css; charset=utf-8',
};

function sendPageHeaders(res: Response): void {
  res.setHeader('Content-Security-Policy', CONTENT_SECURITY_POLICY);
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('Referrer-Policy', 'no-referrer');
  // revalidated by ETag: a restarted API with a changed page is picked up at once
  res.setHeader('Cache-Control', 'no-cache');
}

/** The web console at `/` and its bundled script and styles under `/assets/`; the API it calls needs a key, the page does not. */
export function consoleRouter(): Router {
  const router = Router();
  router.get('/', async (_req, res) => {
    // Waits for the bundle, so a page that cannot be built is an error here rather than a blank page.
    await consoleBundle();
    sendPageHeaders(res);
    res.type('html').send(CONSOLE_PAGE);
  });
  router.get('/assets/:asset', async (req, res, next) => {
    const asset = consoleAssetParamsSchema.safeParse(req.params);
    if (!asset.success) return next();
    const bundle = await consoleBundle();
    sendPageHeaders(res);
    res.setHeader('Content-Type', CONTENT_TYPES[asset.data.asset]);
    res.send(bundle[asset.data.asset]);
  });
  return router;
}
