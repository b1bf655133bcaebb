import { molecularWeightScript } from './canned-tools';
import { startScriptedModel } from './scripted-model';

/** `npm run scripted-model`: a stand-in model for demos, answering with the molecular-weight tool. */
async function main(): Promise<void> {
  const port = Number(process.env.SCRIPTED_MODEL_PORT ?? 8089);
  const model = await startScriptedModel(molecularWeightScript(), port);
  console.log(`Scripted OpenAI-compatible model at ${model.baseUrl}`);
  console.log(`Start the service with:  OPENAI_BASE_URL=${model.baseUrl} OPENAI_API_KEY=scripted npm start`);
  const stop = () => void model.close().then(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

void main();
