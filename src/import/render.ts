/** The imported spec as a YAML file: the $schema modeline, a header, then the document. */
import YAML, { visit } from 'yaml';
import type { AmahiApp } from '../model/spec-input.generated.js';
import type { ImportReport } from './report.js';

/** Entries worth a comment in the file itself: what the user must know when reading the spec later. */
const YAML_11_AMBIGUOUS = /^([-+]?[0-9][0-9_]*(:[0-9_]+)+(\.[0-9]*)?(\/(tcp|udp))?|y|Y|yes|Yes|YES|n|N|no|No|NO|on|On|ON|off|Off|OFF)$/;

const HEADER_KINDS = new Set(['manual', 'flagged', 'dropped']);

export function renderSpec(spec: AmahiApp, report: ImportReport, schemaRef: string): string {
  const doc = new YAML.Document(spec);
  // "2224:22" reads as a number in YAML 1.1 parsers (base 60); quoting keeps every reader right.
  // "2224:22" and "33:33" are numbers (base 60) to YAML 1.1 parsers, and yes/no/on/off booleans:
  // quoting keeps every reader (editors, older tools) reading the same strings.
  visit(doc, {
    Scalar(key, node) {
      if (key !== 'key' && typeof node.value === 'string' && YAML_11_AMBIGUOUS.test(node.value)) node.type = 'QUOTE_DOUBLE';
    },
  });
  const notes = report.entries.filter((entry) => HEADER_KINDS.has(entry.kind));
  const header = [
    `# yaml-language-server: $schema=${schemaRef}`,
    `# Imported by \`amahictl import\` from ${report.file}.`,
    ...(notes.length > 0 ? ['# Not carried over, flagged by the host policy, or to do by hand:'] : []),
    ...notes.map((entry) => `#   ${entry.path ? `${entry.path}: ` : ''}${entry.message}`.replace(/\n/g, ' ')),
  ];
  return `${header.join('\n')}\n${doc.toString({ lineWidth: 0 })}`;
}
