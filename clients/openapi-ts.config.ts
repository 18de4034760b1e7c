// The TypeScript client for the Timeline API, generated from the committed
// ../openapi.yaml into generated/ts (git-ignored; `make clients` remakes it).
import { defineConfig } from '@hey-api/openapi-ts';

export default defineConfig({
  input: '../openapi.yaml',
  output: {
    path: 'generated/ts',
    tsConfigPath: 'tsconfig.json',
    // tsconfig.json resolves modules as NodeNext, which wants explicit extensions.
    module: { extension: '.js' },
  },
  plugins: ['@hey-api/client-fetch', '@hey-api/typescript', '@hey-api/sdk'],
});
