import { extendZodWithOpenApi } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';

// Every contract module imports zod from here, so `.openapi()` exists before any schema uses it.
extendZodWithOpenApi(z);

export { z };
