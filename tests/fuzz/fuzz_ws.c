/* Fuzz target: what a WebSocket client sends the realtime gateway — the bytes of its frames
 * (src/runtime/http/ws_frame.c: masking, fragments, control frames, sizes, UTF-8), then each
 * text message as the gateway reads it (src/runtime/realtime/client_message.c) and its channel
 * resolved against the everything.lua app (channel.c: models, item ids, custom patterns with
 * parameters). The first byte sets where the stream is cut in two reads and the message cap;
 * the rest is the stream. */
#include "fuzz_app.h"
#include "runtime/http/ws_frame.h"
#include "runtime/realtime/channel.h"
#include "runtime/realtime/client_message.h"

#include <stdint.h>

static void read_message(const ssot_app *app, const char *text, size_t len) {
    ssot_client_message msg;
    char problem[512];
    if (ssot_client_message_parse(text, len, &msg, problem, sizeof problem) == 0 && msg.channel) {
        ssot_channel_ref ref;
        char why[768];
        if (ssot_channel_resolve(app, msg.channel, msg.channel_len, &ref, why, sizeof why) == 0 &&
            ref.kind == SSOT_CHANNEL_CUSTOM) {
            json_t *params = ssot_channel_params(&ref);
            if (msg.event) (void)ssot_channel_has_event(ref.def, msg.event);
            json_decref(params);
        }
    }
    ssot_client_message_free(&msg);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1) return 0;
    const ssot_app *app = fuzz_load_app();
    size_t cut = 1 + (size_t)data[0] * (size - 1) / 256;
    uint8_t *stream = malloc(size); /* the parser unmasks in place */
    if (!stream) return 0;
    memcpy(stream, data + 1, size - 1);
    size_t len = size - 1;
    ssot_ws_parser parser = {.max_message = 256 + (size_t)(data[0] & 15) * 512};
    /* as the server does: parse what arrived, keep the unused rest for the next read */
    size_t available = cut - 1 < len ? cut - 1 : len, start = 0;
    for (int reads = 0; reads < 2; reads++) {
        if (reads == 1) available = len;
        while (start < available) {
            ssot_ws_message msg;
            ssot_ws_problem problem;
            long n = ssot_ws_parse(&parser, stream + start, available - start, &msg, &problem);
            if (n < 0) goto done;
            start += (size_t)n;
            if (msg.opcode == 0) break;
            if (msg.opcode == SSOT_WS_TEXT) read_message(app, msg.data, msg.len);
        }
    }
done:
    ssot_ws_parser_free(&parser);
    free(stream);
    return 0;
}
