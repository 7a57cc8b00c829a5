%# ssot init's tsconfig.json: type-checks the generated SDK and React hooks (and your own code
%# under src/) with strict settings; the generated imports end in .js, as NodeNext wants.
{
  // Type-checks the TypeScript ssot run writes to generated/, and your own code in src/:
  // `npm run typecheck` (tsc -p .). Written by ssot init.
  "compilerOptions": {
    "target": "ES2022",
    "module": "NodeNext",
    "moduleResolution": "NodeNext",
    "lib": ["ES2022", "DOM"],
    "jsx": "react-jsx",
    "types": [],
    "strict": true,
    "noUncheckedIndexedAccess": true,
    "exactOptionalPropertyTypes": true,
    "verbatimModuleSyntax": true,
    "isolatedModules": true,
    "forceConsistentCasingInFileNames": true,
    "skipLibCheck": true,
    "noEmit": true
  },
  "include": ["generated/**/*.ts", "src/**/*.ts", "src/**/*.tsx"]
}
