/** Every command of the CLI. Each entry loads its module on demand (esbuild makes each a chunk). */
import type { CommandTable } from '../main.js';

export const COMMANDS: CommandTable = {
  build: async () => (await import('./build.js')).buildCommand,
  lock: async () => (await import('./lock.js')).lockCommand,
  outdated: async () => (await import('./outdated.js')).outdatedCommand,
  install: async () => (await import('./install.js')).installCommand,
  exec: async () => (await import('./exec.js')).execCommand,
  runtime: async () => (await import('./runtime.js')).runtimeCommand,
  recipe: async () => (await import('./recipe.js')).recipeCommand,
  doctor: async () => (await import('./doctor.js')).doctorCommand,
  migrate: async () => (await import('./migrate.js')).migrateCommand,
  uninstall: async () => (await import('./uninstall.js')).uninstallCommand,
  df: async () => (await import('./df.js')).dfCommand,
  gc: async () => (await import('./gc.js')).gcCommand,
  volume: async () => (await import('./volume.js')).volumeCommand,
  jobs: async () => (await import('./jobs.js')).jobsCommand,
};
