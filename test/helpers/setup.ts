import { afterAll } from 'vitest';
import { removeTempDirs } from './temp.js';

// Every temp dir a test file made through test/helpers/temp.ts goes when the file is done.
afterAll(() => removeTempDirs());
