// Rows read straight from credit_records or credit_record_versions, with their fields as the store's
// readers see them (store/payload.ts): tests compare fields by name, the table keeps them by slot.
import { fromPayload } from '../../store/payload.ts';

export const readable = (row: any): any => row && { ...row, fields: fromPayload(row.category, row.fields) };

export const allReadable = (rows: any[]): any[] => rows.map(readable);
