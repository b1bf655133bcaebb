import { scriptedModelAnswers } from './starter-catalogue';
import { startScriptedModel } from './scripted-model';

/** `npm run scripted-model`: a stand-in model for demos and for `npm run eval -- eval/`. */
async function main(): Promise<void> {
  const port = Number(process.env.SCRIPTED_MODEL_PORT ?? 8089);
  const model = await startScriptedModel(scriptedModelAnswers(), port);
  console.log(`Scripted OpenAI-compatible model at ${model.baseUrl}`);
  console.log(`Start the service with:  OPENAI_BASE_URL=${model.baseUrl} OPENAI_API_KEY=scripted npm start`);
  const stop = () => void model.close().then(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

void main();
