-- The command line's conventions through the real binary (SSOT_BIN): every command's usage
-- from --help, -h and `ssot help COMMAND` alike; the version three ways; --config wherever a
-- config is read; no colour and no progress line off a terminal, none with NO_COLOR; and on a
-- terminal (util-linux `script` gives the command one) the progress line of `ssot run`.

local BIN = os.getenv("SSOT_BIN")
local SOURCE = os.getenv("SSOT_SOURCE_DIR") or "."

local fs = require "fs_helpers"
local q = fs.quote

local COMMANDS = { "init", "new", "run", "phases", "serve", "token", "help", "version" }
local CHAT = SOURCE .. "/examples/chat/config.lua"

describe("the ssot command line", function()
  local tmp

  local function ssot(args, env) return fs.ssot(tmp, args, env) end

  -- The output of `ssot <args>` run on a terminal (stdout and stderr together, as the
  -- terminal shows them), and its exit status.
  local function on_terminal(args, env)
    local command = string.format("cd %s && TERM=xterm %s %s %s", q(tmp), env or "", q(BIN), args)
    local ok, _, status = os.execute(string.format("script -qfec %s /dev/null >%s/tty </dev/null",
      q(command), q(tmp)))
    return ok and 0 or status, fs.read(tmp .. "/tty")
  end

  before_each(function()
    assert(BIN, "SSOT_BIN must name the ssot binary (ctest sets it)")
    tmp = fs.tempdir()
  end)

  after_each(function() fs.remove(tmp) end)

  it("prints each command's usage for --help, -h and ssot help COMMAND alike, exit 0", function()
    for _, command in ipairs(COMMANDS) do
      local status, usage, stderr = ssot(command .. " --help")
      assert.are.equal(0, status, command)
      assert.are.equal("", stderr, command)
      assert.matches("^Usage: ssot " .. command, usage, nil, command)
      local short_status, short = ssot(command .. " -h")
      assert.are.equal(0, short_status, command)
      assert.are.equal(usage, short, command .. " -h")
      local help_status, help = ssot("help " .. command)
      assert.are.equal(0, help_status, command)
      assert.are.equal(usage, help, "ssot help " .. command)
    end
  end)

  it("lists every command in ssot --help, which is ssot help", function()
    local status, usage = ssot("--help")
    assert.are.equal(0, status)
    assert.are.equal(usage, select(2, ssot("help")))
    for _, command in ipairs(COMMANDS) do assert.matches("\n  " .. command .. " ", usage, 1, true) end
    assert.matches("NO_COLOR=1", usage, 1, true)
  end)

  it("prints the version for version, --version and -V; version takes nothing else", function()
    for _, args in ipairs { "version", "--version", "-V" } do
      local status, stdout = ssot(args)
      assert.are.equal(0, status, args)
      assert.matches("^ssot %d+%.%d+%.%d+\n$", stdout, nil, args)
    end
    local status, _, stderr = ssot("version --short")
    assert.are.equal(2, status)
    assert.matches("Run 'ssot help version' for usage.", stderr, 1, true)
    status, _, stderr = ssot("help frobnicate")
    assert.are.equal(2, status)
    assert.matches("no help for 'frobnicate'", stderr, 1, true)
  end)

  it("takes the config as --config FILE as well as an argument, one config at a time", function()
    local status, stdout, stderr = ssot("run --quiet -o out --config " .. q(CHAT))
    assert.are.equal(0, status, stderr)
    assert.are.equal("", stdout)
    assert.is_not_nil(fs.read(tmp .. "/out/schema.sql"))
    status, stdout = ssot("phases --config=" .. q(CHAT))
    assert.are.equal(0, status)
    assert.matches("openapi", stdout, 1, true)
    status, _, stderr = ssot("run --config " .. q(CHAT) .. " other.lua")
    assert.are.equal(2, status)
    assert.matches("unexpected argument 'other.lua'", stderr, 1, true)
    status, _, stderr = ssot("serve --config missing.lua --port 0")
    assert.are.equal(3, status, stderr)
    assert.matches("missing.lua", stderr, 1, true)
    status, _, stderr = ssot("serve a.lua --config b.lua")
    assert.are.equal(2, status)
    assert.matches("ssot serve: one config at a time (got a second one, 'b.lua')\nRun 'ssot help serve' for usage.\n",
      stderr, 1, true)
  end)

  it("ssot token takes the config as an argument too, and names unknown options", function()
    local secret = "SSOT_JWT_SECRET=cli-spec-secret-0123456789abcdef0123456789"
    local status, stdout, stderr = ssot("token " .. q(CHAT) .. " --sub 7", secret)
    assert.are.equal(0, status, stderr)
    assert.matches("^[%w_-]+%.[%w_-]+%.[%w_-]+\n$", stdout)
    status, _, stderr = ssot("token --sub 7 --frobnicate", secret)
    assert.are.equal(2, status)
    assert.are.equal("ssot token: unknown option '--frobnicate'\nRun 'ssot help token' for usage.\n", stderr)
  end)

  it("writes no escape code and no progress line when the output is not a terminal", function()
    local _, stdout, stderr = fs.ssot(tmp, "run -o out " .. q(CHAT), "NO_COLOR=")
    local ok = os.execute(string.format("cd %s && %s run -o out2 %s >out.txt 2>err.txt", q(tmp), q(BIN), q(CHAT)))
    assert.is_true(ok)
    for _, text in ipairs { stdout, stderr, fs.read(tmp .. "/out.txt"), fs.read(tmp .. "/err.txt") } do
      assert.is_nil(text:find("\27", 1, true))
      assert.is_nil(text:find("\r", 1, true))
    end
    assert.matches("done: ", fs.read(tmp .. "/out.txt"), 1, true)
    -- an error too
    os.execute(string.format("cd %s && %s run nowhere.lua >out.txt 2>err.txt", q(tmp), q(BIN)))
    assert.matches("error: ", fs.read(tmp .. "/err.txt"), 1, true)
    assert.is_nil(fs.read(tmp .. "/err.txt"):find("\27", 1, true))
  end)

  it("on a terminal colours the output unless NO_COLOR is set, and shows the phase running", function()
    local status, tty = on_terminal("run -o out " .. q(CHAT), "NO_COLOR=")
    assert.are.equal(0, status, tty)
    assert.matches("\27[", tty, 1, true)
    -- the progress line: the phase and n/N, then blanked before the phase's own line
    local phases = select(2, tty:gsub("%d+ files? written", ""))
    assert.is_true(phases > 1, tty)
    assert.matches("\r  sql (1/" .. phases .. ") ...\r", tty, 1, true)
    assert.matches("\r  asyncapi (" .. phases .. "/" .. phases .. ") ...\r", tty, 1, true)
    status, tty = on_terminal("run -o out2 " .. q(CHAT), "NO_COLOR=1")
    assert.are.equal(0, status, tty)
    assert.is_nil(tty:find("\27", 1, true), tty)
    assert.matches("(1/", tty, 1, true)
    -- --quiet: nothing at all
    status, tty = on_terminal("run --quiet --force -o out3 " .. q(CHAT))
    assert.are.equal(0, status, tty)
    assert.are.equal("", tty)
  end)
end)
