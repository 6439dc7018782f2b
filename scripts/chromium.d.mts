export declare function findChromium(): string | null;
export declare function ensureChromium(): string;
export declare function chromiumPath(): string;
export declare function chromiumArgs(): string[];
