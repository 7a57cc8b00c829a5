-- Specs for ssot.text: identifier words, casings, plurals, indent and trim — the names
-- every generated file uses for models and fields.
local text = require "ssot.text"

describe("ssot.text", function()
  describe("words", function()
    local cases = {
      { "userId", { "user", "id" } },
      { "HTTPServer", { "http", "server" } },
      { "ChatRoom", { "chat", "room" } },
      { "chat_room", { "chat", "room" } },
      { "chat-room", { "chat", "room" } },
      { "chat room", { "chat", "room" } },
      { "  chat__room--x  ", { "chat", "room", "x" } },
      { "userIDs", { "user", "ids" } },
      { "parseURLsFast", { "parse", "urls", "fast" } },
      { "getHTTPResponseCode", { "get", "http", "response", "code" } },
      { "sha256Hash", { "sha256", "hash" } },
      { "HTTP2Server", { "http2", "server" } },
      { "base64", { "base64" } },
      { "ID", { "id" } },
      { "a", { "a" } },
      { "", {} },
      { "XMLHttpRequest", { "xml", "http", "request" } },
      { "createdAt", { "created", "at" } },
      { "SCREAMING_CASE", { "screaming", "case" } },
    }
    for _, c in ipairs(cases) do
      it(string.format("splits %q", c[1]), function()
        assert.are.same(c[2], text.words(c[1]))
      end)
    end

    it("rejects a non-string with a message naming the function", function()
      assert.has_error(function() text.words(nil) end, "text.words: expected a string, got nil")
    end)
  end)

  describe("casings", function()
    it("converts between the casings", function()
      assert.are.equal("chatRoom", text.camel("ChatRoom"))
      assert.are.equal("chatRoom", text.camel("chat_room"))
      assert.are.equal("ChatRoom", text.pascal("chat-room"))
      assert.are.equal("ChatRoom", text.pascal("chatRoom"))
      assert.are.equal("chat-room", text.kebab("ChatRoom"))
      assert.are.equal("chat_room", text.snake("ChatRoom"))
      assert.are.equal("CHAT_ROOM", text.constant("chatRoom"))
    end)

    it("treats acronyms as one word", function()
      assert.are.equal("HttpServer", text.pascal("HTTPServer"))
      assert.are.equal("httpServer", text.camel("HTTPServer"))
      assert.are.equal("http_server", text.snake("HTTPServer"))
      assert.are.equal("user_id", text.snake("userID"))
    end)

    it("keeps digits with the word before them", function()
      assert.are.equal("Http2Server", text.pascal("http2_server"))
      assert.are.equal("http2-server", text.kebab("Http2Server"))
    end)

    it("round-trips through words", function()
      for _, name in ipairs { "ChatRoom", "OrderLineItem", "User", "Http2Server" } do
        assert.are.equal(name, text.pascal(text.snake(name)))
        assert.are.equal(name, text.pascal(text.kebab(name)))
        assert.are.equal(name, text.pascal(text.camel(name)))
      end
    end)

    it("gives empty strings for empty input", function()
      assert.are.equal("", text.camel(""))
      assert.are.equal("", text.pascal("__"))
    end)
  end)

  describe("plural", function()
    local cases = {
      { "user", "users" }, { "Message", "Messages" }, { "ChatRoom", "ChatRooms" },
      { "Category", "Categories" }, { "day", "days" }, { "key", "keys" },
      { "box", "boxes" }, { "class", "classes" }, { "batch", "batches" }, { "wish", "wishes" },
      { "status", "statuses" }, { "quiz", "quizzes" }, { "buzz", "buzzes" },
      { "person", "people" }, { "Person", "People" }, { "child", "children" },
      { "man", "men" }, { "woman", "women" }, { "SalesPerson", "SalesPeople" },
      { "chat_room", "chat_rooms" }, { "chat-room", "chat-rooms" }, { "order item", "order items" },
      { "API", "APIs" }, { "URL", "URLs" }, { "Setting", "Settings" }, { "settings", "settings" },
      { "Stats", "Stats" }, { "people", "people" }, { "data", "data" }, { "Photo", "Photos" },
      { "Address", "Addresses" }, { "Movie", "Movies" }, { "Leaf", "Leaves" },
      { "Course", "Courses" }, { "House", "Houses" }, { "Alias", "Aliases" },
      { "Item2", "Item2s" },
    }
    for _, c in ipairs(cases) do
      it(string.format("%s -> %s", c[1], c[2]), function()
        assert.are.equal(c[2], text.plural(c[1]))
      end)
    end
  end)

  describe("singular", function()
    local cases = {
      { "users", "user" }, { "ChatRooms", "ChatRoom" }, { "Categories", "Category" },
      { "days", "day" }, { "boxes", "box" }, { "classes", "class" }, { "batches", "batch" },
      { "statuses", "status" }, { "quizzes", "quiz" }, { "People", "Person" },
      { "children", "child" }, { "men", "man" }, { "APIs", "API" }, { "Courses", "Course" },
      { "Houses", "House" }, { "Phases", "Phase" }, { "Responses", "Response" },
      { "Caches", "Cache" }, { "Movies", "Movie" }, { "data", "data" },
      { "status", "status" }, { "class", "class" }, { "user", "user" }, { "Analysis", "Analysis" },
    }
    for _, c in ipairs(cases) do
      it(string.format("%s -> %s", c[1], c[2]), function()
        assert.are.equal(c[2], text.singular(c[1]))
      end)
    end

    it("inverts plural for common model names", function()
      for _, name in ipairs { "User", "Message", "ChatRoom", "Category", "Box", "Class",
          "Status", "Person", "Child", "Address", "Course", "House", "Invoice", "Quiz",
          "Batch", "Phase", "Alias", "Leaf", "Hero", "Movie" } do
        assert.are.equal(name, text.singular(text.plural(name)))
      end
    end)
  end)

  describe("indent", function()
    it("prefixes every non-blank line with n spaces", function()
      assert.are.equal("  a\n\n  b\n", text.indent("a\n\nb\n", 2))
    end)

    it("accepts a prefix string", function()
      assert.are.equal("// a\n// b", text.indent("a\nb", "// "))
    end)

    it("leaves whitespace-only lines alone so no trailing whitespace appears", function()
      assert.are.equal("    x\n  \n    y", text.indent("x\n  \ny", 4))
    end)

    it("rejects a bad indent argument", function()
      assert.has_error(function() text.indent("x", true) end,
        "text.indent: expected a number of spaces or a prefix string, got boolean")
    end)
  end)

  describe("trim", function()
    it("removes leading and trailing whitespace only", function()
      assert.are.equal("a b", text.trim(" \t a b \n"))
      assert.are.equal("", text.trim("   "))
      assert.are.equal("x", text.trim("x"))
    end)
  end)

  describe("closest and did_you_mean", function()
    local keys = { "models", "name", "output", "phases", "websockets", "serve" }

    it("suggests the closest candidate for a typo", function()
      assert.are.equal("models", text.closest("modles", keys))
      assert.are.equal("websockets", text.closest("websocket", keys))
      assert.are.equal("serve", text.closest("Serve", keys))
      assert.are.equal(" (did you mean 'string'?)", text.did_you_mean("strng", { "string", "int", "text" }))
    end)

    it("accepts a set as well as a list", function()
      assert.are.equal("isOwner", text.closest("isowner", { isOwner = true, isAdmin = true }))
    end)

    it("suggests nothing when no candidate is close", function()
      assert.is_nil(text.closest("frobnicate", keys))
      assert.are.equal("", text.did_you_mean("zz", keys))
      assert.are.equal("", text.did_you_mean("name", keys))
    end)
  end)
end)
