/**
 * The syntax CloudFront Functions' runtime `cloudfront-js-2.0` documents, as an allow-list over a
 * real parse (TypeScript's parser, a direct dependency: acorn is not installed here). The local
 * edge runs the function in full V8, which accepts far more; this check keeps what loads locally
 * inside what the edge loads.
 *
 * Documented (https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/functions-javascript-runtime-20.html):
 * ES 5.1 types, operators and statements (break, catch, continue, do-while, else, finally, for,
 * for-in, if, label, return, switch, throw, try, var, while); ES 6 `const` and `let`; ES 7 `**`;
 * ES 8 `async` and `await` (await only inside async functions; async arguments and closures not
 * supported); ES 6 template literals (multi-line, interpolation, nesting); ES 6 arrow functions
 * and rest parameters; strict mode. Its modules come in by `import name from 'cloudfront'` or
 * `'crypto'`; a function with an `export` does not load. Anything the page does not list is
 * refused here: classes, generators, for-of, spread, destructuring, default parameters, optional
 * catch bindings, optional chaining, `??`, logical assignment, object literal shorthands and
 * computed keys, tagged templates, BigInt, numeric separators, binary or octal literals, regular
 * expression flags and groups newer than ES 5.1.
 */
import ts from 'typescript';

export interface SyntaxFinding {
  /** 1-based. */
  readonly line: number;
  readonly column: number;
  /** What the runtime does not document, in words. */
  readonly feature: string;
}

const K = ts.SyntaxKind;

/** Node kinds of the documented syntax; a kind not here is refused under its own name. */
const ALLOWED = new Set<ts.SyntaxKind>([
  K.SourceFile,
  K.EndOfFileToken,
  // Statements: ES 5.1 (the listed ones), const/let, and the runtime's import.
  K.VariableStatement,
  K.VariableDeclarationList,
  K.VariableDeclaration,
  K.FunctionDeclaration,
  K.Block,
  K.EmptyStatement,
  K.ExpressionStatement,
  K.IfStatement,
  K.DoStatement,
  K.WhileStatement,
  K.ForStatement,
  K.ForInStatement,
  K.ContinueStatement,
  K.BreakStatement,
  K.ReturnStatement,
  K.SwitchStatement,
  K.CaseBlock,
  K.CaseClause,
  K.DefaultClause,
  K.LabeledStatement,
  K.ThrowStatement,
  K.TryStatement,
  K.CatchClause,
  K.ImportDeclaration,
  K.ImportClause,
  // Expressions: ES 5.1, arrow functions, template literals, await.
  K.Identifier,
  K.ThisKeyword,
  K.NullKeyword,
  K.TrueKeyword,
  K.FalseKeyword,
  K.NumericLiteral,
  K.StringLiteral,
  K.RegularExpressionLiteral,
  K.ArrayLiteralExpression,
  K.OmittedExpression,
  K.ObjectLiteralExpression,
  K.PropertyAssignment,
  K.GetAccessor,
  K.SetAccessor,
  K.Parameter,
  K.FunctionExpression,
  K.ArrowFunction,
  K.CallExpression,
  K.NewExpression,
  K.PropertyAccessExpression,
  K.ElementAccessExpression,
  K.ParenthesizedExpression,
  K.PrefixUnaryExpression,
  K.PostfixUnaryExpression,
  K.BinaryExpression,
  K.ConditionalExpression,
  K.TypeOfExpression,
  K.VoidExpression,
  K.DeleteExpression,
  K.AwaitExpression,
  K.TemplateExpression,
  K.TemplateSpan,
  K.TemplateHead,
  K.TemplateMiddle,
  K.TemplateTail,
  K.NoSubstitutionTemplateLiteral,
]);

/** Operators after ES 5.1 that the page does not list (`**` is listed; `**=` is not). */
const NEWER_OPERATORS = new Map<ts.SyntaxKind, string>([
  [K.QuestionQuestionToken, 'nullish coalescing (??)'],
  [K.QuestionQuestionEqualsToken, 'logical assignment (??=)'],
  [K.AmpersandAmpersandEqualsToken, 'logical assignment (&&=)'],
  [K.BarBarEqualsToken, 'logical assignment (||=)'],
  [K.AsteriskAsteriskEqualsToken, 'exponent assignment (**=)'],
]);

/** Readable names of refused kinds (else the parser's own name). */
const NAMES = new Map<ts.SyntaxKind, string>([
  [K.ClassDeclaration, 'class'],
  [K.ClassExpression, 'class'],
  [K.ForOfStatement, 'for-of'],
  [K.SpreadElement, 'spread (...)'],
  [K.SpreadAssignment, 'object spread (...)'],
  [K.ShorthandPropertyAssignment, 'shorthand property'],
  [K.MethodDeclaration, 'method shorthand'],
  [K.ComputedPropertyName, 'computed property name'],
  [K.ObjectBindingPattern, 'destructuring'],
  [K.ArrayBindingPattern, 'destructuring'],
  [K.TaggedTemplateExpression, 'tagged template'],
  [K.YieldExpression, 'yield'],
  [K.BigIntLiteral, 'BigInt literal'],
  [K.MetaProperty, 'new.target / import.meta'],
  [K.ExportDeclaration, 'export'],
  [K.ExportAssignment, 'export'],
  [K.DebuggerStatement, 'debugger'],
  [K.WithStatement, 'with'],
  [K.SuperKeyword, 'super'],
  [K.NamedImports, 'named import'],
  [K.NamespaceImport, 'namespace import'],
  [K.ImportKeyword, 'dynamic import()'],
]);

const RUNTIME_MODULES = new Set(['cloudfront', 'crypto']);

/** Every use of syntax the runtime does not document, in source order; a syntax error is one too. */
export function unsupportedSyntax(source: string, fileName = 'function.js'): SyntaxFinding[] {
  const file = ts.createSourceFile(fileName, source, ts.ScriptTarget.Latest, true, ts.ScriptKind.JS);
  const findings: SyntaxFinding[] = [];
  const report = (at: ts.Node | number, feature: string): void => {
    const position = typeof at === 'number' ? at : at.getStart(file);
    const { line, character } = file.getLineAndCharacterOfPosition(position);
    findings.push({ line: line + 1, column: character + 1, feature });
  };
  for (const diagnostic of syntaxErrors(source, fileName))
    report(diagnostic.start ?? 0, `syntax error: ${ts.flattenDiagnosticMessageText(diagnostic.messageText, ' ')}`);

  const visit = (node: ts.Node, inAsync: boolean): void => {
    // Operators and punctuation are judged by their parent; of the modifiers only `async` is the runtime's.
    if (node.kind >= K.FirstPunctuation && node.kind <= K.LastPunctuation) return;
    if (ts.isModifier(node)) {
      if (node.kind !== K.AsyncKeyword)
        report(node, node.kind === K.ExportKeyword || node.kind === K.DefaultKeyword ? 'export' : K[node.kind]);
      return;
    }
    if (!ALLOWED.has(node.kind)) {
      report(node, NAMES.get(node.kind) ?? K[node.kind]);
      return;
    }
    let async = inAsync;
    if (ts.isFunctionLike(node)) {
      const fn = node as ts.SignatureDeclarationBase & { asteriskToken?: ts.Node };
      if (fn.asteriskToken !== undefined) report(node, 'generator');
      const isAsync = ts.getCombinedModifierFlags(node as ts.Declaration) & ts.ModifierFlags.Async;
      if (isAsync && !ts.isFunctionDeclaration(node)) report(node, 'async closure (only async function declarations)');
      async = isAsync !== 0;
      for (const parameter of fn.parameters) {
        if (parameter.initializer !== undefined) report(parameter, 'default parameter');
      }
    }
    if (ts.isAwaitExpression(node) && !inAsync) report(node, 'await outside an async function');
    if (ts.isBinaryExpression(node)) {
      const newer = NEWER_OPERATORS.get(node.operatorToken.kind);
      if (newer !== undefined) report(node.operatorToken, newer);
      if (
        node.operatorToken.kind === K.EqualsToken &&
        (ts.isObjectLiteralExpression(node.left) || ts.isArrayLiteralExpression(node.left))
      )
        report(node.left, 'destructuring');
    }
    if (
      (ts.isPropertyAccessExpression(node) || ts.isElementAccessExpression(node) || ts.isCallExpression(node)) &&
      node.questionDotToken !== undefined
    )
      report(node.questionDotToken, 'optional chaining (?.)');
    if (ts.isCatchClause(node) && node.variableDeclaration === undefined) report(node, 'optional catch binding');
    if (ts.isNumericLiteral(node) && /^0[bBoO]|_/.test(node.getText(file)))
      report(node, 'binary or octal literal, or numeric separator');
    if (ts.isRegularExpressionLiteral(node)) {
      const text = node.getText(file);
      const flags = text.slice(text.lastIndexOf('/') + 1);
      if (/[^gim]/.test(flags)) report(node, `regular expression flag beyond g, i, m (/${flags})`);
      // ES 2018 groups: named captures and lookbehind, unless the "(?<" is escaped or in a class.
      if (/(^|[^\\[])\(\?<[=!A-Za-z]/.test(text.slice(1, text.lastIndexOf('/'))))
        report(node, 'named group or lookbehind in a regular expression');
    }
    if (ts.isImportDeclaration(node)) {
      const from = ts.isStringLiteral(node.moduleSpecifier) ? node.moduleSpecifier.text : '';
      if (!RUNTIME_MODULES.has(from) || node.importClause?.name === undefined)
        report(node, `import other than "import <name> from 'cloudfront' | 'crypto'"`);
    }
    ts.forEachChild(node, (child) => visit(child, async));
  };
  visit(file, false);
  return findings.sort((a, b) => a.line - b.line || a.column - b.column);
}

/** The parser's own errors (what V8 would refuse too, and what it would accept but this parse cannot). */
function syntaxErrors(source: string, fileName: string): readonly ts.Diagnostic[] {
  const output = ts.transpileModule(source, {
    fileName,
    reportDiagnostics: true,
    compilerOptions: { allowJs: true, target: ts.ScriptTarget.Latest, module: ts.ModuleKind.ESNext },
  });
  return output.diagnostics ?? [];
}
