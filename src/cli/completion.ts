import type { Command } from './commands';
import { COMMANDS } from './commands';
import { UsageError } from './errors';
import { parse } from './flags';
import { write } from './output';

const USAGE = `usage: istiod-lite completion bash|zsh

Prints a shell completion script for commands, waypoint subcommands and
their flags (istioctl completion). Load it with:

  source <(istiod-lite completion bash)                 # bash
  source <(istiod-lite completion zsh)                  # zsh`;

/** The long flags a usage text documents: the one place each command lists them. */
function flagsIn(usage: string): string[] {
  return [...new Set([...usage.matchAll(/(?<![\w-])--[a-z][a-z-]*/g)].map((m) => m[0]))].sort();
}

/** Words to offer after `<command>` (and after `waypoint <sub>`), from the command registry. */
function words(): Map<string, string[]> {
  const out = new Map<string, string[]>();
  out.set('', [...COMMANDS.map((c) => c.name), 'help']);
  for (const c of COMMANDS) {
    const subs = /^subcommands:\n((?:  \S.*\n?)+)/m.exec(c.usage)?.[1];
    const names = subs ? [...subs.matchAll(/^ {2}(\S+)/gm)].map((m) => m[1]!) : [];
    out.set(
      c.name,
      names.length > 0 ? [...names, '--help'] : [...flagsIn(c.usage).filter((f) => f !== '--help'), '--help'],
    );
    for (const n of names) out.set(`${c.name} ${n}`, [...flagsIn(c.helpFor?.([n]) ?? ''), '--help']);
  }
  return out;
}

function bash(): string {
  const cases = [...words()].map(([key, list]) => `    "${key}") opts="${list.join(' ')}" ;;`).join('\n');
  return `# istiod-lite bash completion (istiod-lite completion bash)
_istiod_lite() {
  local cur="\${COMP_WORDS[COMP_CWORD]}" i=1 key=""
  [[ "\${COMP_WORDS[1]}" == "x" || "\${COMP_WORDS[1]}" == "experimental" ]] && i=2
  if (( COMP_CWORD > i )); then key="\${COMP_WORDS[i]}"; fi
  if [[ "$key" == "waypoint" ]] && (( COMP_CWORD > i + 1 )); then key="waypoint \${COMP_WORDS[i+1]}"; fi
  local opts=""
  case "$key" in
${cases}
  esac
  COMPREPLY=( $(compgen -W "$opts" -- "$cur") )
  [[ \${#COMPREPLY[@]} -eq 0 ]] && COMPREPLY=( $(compgen -f -- "$cur") )
  return 0
}
complete -F _istiod_lite istiod-lite
`;
}

export const completionCommand: Command = {
  name: 'completion',
  summary: 'print a shell completion script (bash or zsh)',
  usage: USAGE,
  async run(argv) {
    const { positionals } = parse(argv, {});
    const shell = positionals[0];
    if (positionals.length !== 1 || (shell !== 'bash' && shell !== 'zsh'))
      throw new UsageError('name the shell: bash or zsh');
    // zsh runs bash completion functions through bashcompinit.
    write(shell === 'zsh' ? `autoload -U +X bashcompinit && bashcompinit\n${bash()}` : bash());
  },
};
