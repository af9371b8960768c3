export declare const staticImportsOf: (file: string) => Array<string>
