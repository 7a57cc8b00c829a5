%# ssot init's .gitignore: what ssot and npm make, which git should not keep.
# Written by ssot init: files made from config.lua or fetched, not written by hand.
# ssot run's output: run `ssot run` again to remake it.
generated/
# ssot serve's database, and the development secret it keeps beside it (data/.ssot-secret).
data/
# npm install's packages.
node_modules/
