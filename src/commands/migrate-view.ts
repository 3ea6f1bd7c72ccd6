/** Human text for `jrt migrate`: tables of what was found, planned and kept. JSON needs none of it. */
import { formatBytes } from '../core/disk.js';
import { printable } from '../core/printable.js';
import type { MatchedInstall } from '../migrate/analyze.js';
import type { MigrationPlan } from '../migrate/plan.js';
import type { RemovalStep } from '../migrate/removal.js';
import type { PathEntry } from '../migrate/types.js';
import { table } from './table.js';

function recipeCell(i: MatchedInstall): string {
  if (i.match.kind !== 'none')
    return `${i.match.recipe} (${i.match.kind}${i.match.recipe_version ? ` ${i.match.recipe_version}` : ''})`;
  return i.draft && 'name' in i.draft ? `none: draft ${i.draft.name}` : 'none';
}

export function installsTable(installs: readonly MatchedInstall[]): string {
  if (installs.length === 0) return 'no language runtimes found on the host';
  return table([
    ['LANGUAGE', 'VERSION', 'SOURCE', 'WHERE', 'RECIPE'],
    ...installs.map((i) => [i.language, i.version, i.source, printable(i.where), recipeCell(i)]),
  ]);
}

export function pathLines(entries: readonly PathEntry[]): string[] {
  return entries.map((e) =>
    e.found === undefined
      ? `  ${e.command}: not on PATH`
      : `  ${e.command}: ${printable(e.found)}${e.resolved && e.resolved !== e.found ? ` -> ${printable(e.resolved)}` : ''}${e.note ? ` (${printable(e.note)})` : ''}`,
  );
}

export function scanText(
  installs: readonly MatchedInstall[],
  path: readonly PathEntry[],
  notes: readonly string[],
): string {
  const drafts = installs.filter((i) => i.match.kind === 'none');
  return [
    installsTable(installs),
    '',
    'PATH:',
    ...pathLines(path),
    ...(drafts.length > 0
      ? [
          '',
          'No recipe matches:',
          ...drafts.map((i) =>
            i.draft && 'name' in i.draft
              ? `  ${i.language} ${i.version} (${printable(i.where)}): draft ${i.draft.name}.yml (--write-drafts DIR writes it)`
              : `  ${i.language} ${i.version} (${printable(i.where)}): ${i.draft && 'problem' in i.draft ? i.draft.problem : 'no draft'}`,
          ),
        ]
      : []),
    ...(notes.length > 0 ? ['', 'Notes:', ...notes.map((n) => `  ${printable(n)}`)] : []),
  ].join('\n');
}

export function removalText(step: RemovalStep): string[] {
  const out = ['Removing what the runtimes replace (printed, never run by jrt):'];
  if (step.commands.length === 0)
    out.push('  nothing yet: no host install is replaced by an installed runtime');
  for (const c of step.commands) {
    out.push(`  ${printable(c.command)}`);
    if (c.alsoRemoves.length > 0)
      out.push(
        `    # apt-get would also remove ${c.alsoRemoves.length} package(s) that depend on them: ${c.alsoRemoves.join(', ')}`,
      );
    for (const w of c.warnings) out.push(`    # WARNING: ${w}`);
  }
  for (const k of step.kept) out.push(`  # kept ${printable(k.where)}: ${printable(k.why)}`);
  return out;
}

export function planText(plan: MigrationPlan): string {
  const rows = plan.install.map((p) => [
    p.recipe,
    p.state,
    p.runtime_bytes === undefined ? 'known after the build' : formatBytes(p.runtime_bytes),
    p.download_bytes === undefined ? '?' : formatBytes(p.download_bytes),
    p.replaces.map(printable).join(', '),
  ]);
  return [
    plan.install.length === 0
      ? 'nothing to install: no host install has a matching recipe'
      : table([['RECIPE', 'STATE', 'RUNTIME', 'DOWNLOAD', 'REPLACES'], ...rows]),
    '',
    `runtimes: ${formatBytes(plan.disk.runtime_bytes)} known to unpack into ${plan.disk.root.path} (${formatBytes(plan.disk.root.free)} free)${plan.disk.unknown.length > 0 ? `; size known after the build: ${plan.disk.unknown.join(', ')}` : ''}`,
    `downloads: ${formatBytes(plan.disk.download_bytes)} into ${plan.disk.cache.path} (${formatBytes(plan.disk.cache.free)} free)`,
    ...(plan.drafts.length > 0
      ? [
          '',
          'Not installed (no recipe; drafts from jrt migrate scan --write-drafts DIR):',
          ...plan.drafts.map((d) => `  ${printable(d)}`),
        ]
      : []),
    '',
    ...removalText(plan.removal),
  ].join('\n');
}
