export function hfPythonPath(): string;
export function ensureHfPython(): string;
