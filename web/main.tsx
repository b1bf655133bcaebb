/** The web console's entry point: bundled by esbuild when the API serves it (api/console-bundle.ts). */
import { render } from 'preact';
import { App } from './app';
import './console.css';

const root = document.getElementById('app');
if (root) render(<App />, root);
