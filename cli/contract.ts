import { writeFileSync } from 'node:fs';
import { dataContractMarkdown } from '../schemas/contract.ts';

export function writeDataContract(file: string): void {
  writeFileSync(file, dataContractMarkdown());
}
