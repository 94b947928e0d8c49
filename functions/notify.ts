/** Placeholder: the formatter is being written (issue 5). */
export const handler = async (_event: unknown) => ({ status: 'ignored' });
