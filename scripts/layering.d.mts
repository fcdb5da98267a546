export declare const CORE_LAYERS: Readonly<Record<string, number>>;
export declare function checkLayering(root: string): string[];
