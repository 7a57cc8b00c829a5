/* Checking one JSON value against a field (value.h): types, enum values, max length, and the
 * canonical forms of datetimes (ISO 8601 UTC) and UUIDs (lowercase), new UUIDs. Uses jansson, model.h,
 * OpenSSL RAND_bytes. */
#define _POSIX_C_SOURCE 200809L /* clock_gettime, gmtime_r */
#include "runtime/model/value.h"

#include "runtime/base/utf8.h"

#include <openssl/rand.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil). */
static long long days_from_civil(long long y, unsigned m, unsigned d) {
    y -= m <= 2;
    long long era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned)(y - era * 400);
    unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (long long)doe - 719468;
}

static void civil_from_days(long long z, long long *y, unsigned *m, unsigned *d) {
    z += 719468;
    long long era = (z >= 0 ? z : z - 146096) / 146097;
    unsigned doe = (unsigned)(z - era * 146097);
    unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    unsigned mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = (long long)yoe + era * 400 + (*m <= 2);
}

static int days_in_month(long long y, unsigned m) {
    static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0)) return 29;
    return days[m - 1];
}

/* Reads exactly `digits` decimal digits at s[*i]. Returns -1 when they are not there. */
static long digits_at(const char *s, size_t n, size_t *i, int digits) {
    long v = 0;
    for (int k = 0; k < digits; k++, (*i)++) {
        if (*i >= n || s[*i] < '0' || s[*i] > '9') return -1;
        v = v * 10 + (s[*i] - '0');
    }
    return v;
}

static void put_digits(char *out, long long v, int width) {
    for (int i = width - 1; i >= 0; i--, v /= 10) out[i] = (char)('0' + v % 10);
}

/* Writes YYYY-MM-DDTHH:MM:SS.mmmZ for a day count since 1970 (year 0..9999) and the
 * milliseconds into that day. */
static void format_utc(long long days, long long ms_of_day, char out[25]) {
    long long y;
    unsigned mo, d;
    civil_from_days(days, &y, &mo, &d);
    long long s = ms_of_day / 1000;
    memcpy(out, "0000-00-00T00:00:00.000Z", 25);
    put_digits(out, y, 4);
    put_digits(out + 5, mo, 2);
    put_digits(out + 8, d, 2);
    put_digits(out + 11, s / 3600, 2);
    put_digits(out + 14, s / 60 % 60, 2);
    put_digits(out + 17, s % 60, 2);
    put_digits(out + 20, ms_of_day % 1000, 3);
}

int ssot_datetime_normalize(const char *s, size_t n, char out[25]) {
    size_t i = 0;
    long year = digits_at(s, n, &i, 4);
    if (year < 0 || i >= n || s[i++] != '-') return -1;
    long month = digits_at(s, n, &i, 2);
    if (month < 1 || month > 12 || i >= n || s[i++] != '-') return -1;
    long day = digits_at(s, n, &i, 2);
    if (day < 1 || day > days_in_month(year, (unsigned)month)) return -1;
    long hour = 0, minute = 0, second = 0, millis = 0, offset_minutes = 0;
    if (i < n) {
        if (s[i] != 'T' && s[i] != 't' && s[i] != ' ') return -1;
        i++;
        hour = digits_at(s, n, &i, 2);
        if (hour < 0 || hour > 23 || i >= n || s[i++] != ':') return -1;
        minute = digits_at(s, n, &i, 2);
        if (minute < 0 || minute > 59) return -1;
        if (i < n && s[i] == ':') {
            i++;
            second = digits_at(s, n, &i, 2);
            if (second < 0 || second > 59) return -1;
            if (i < n && (s[i] == '.' || s[i] == ',')) {
                i++;
                int k = 0;
                for (; i < n && s[i] >= '0' && s[i] <= '9'; i++, k++)
                    if (k < 3) millis = millis * 10 + (s[i] - '0');
                if (k == 0) return -1;
                for (; k < 3; k++) millis *= 10;
            }
        }
        if (i < n) {
            char zone = s[i++];
            if (zone == 'Z' || zone == 'z') {
                /* UTC */
            } else if (zone == '+' || zone == '-') {
                long oh = digits_at(s, n, &i, 2);
                if (oh < 0 || oh > 23) return -1;
                if (i < n && s[i] == ':') i++;
                long om = digits_at(s, n, &i, 2);
                if (om < 0 || om > 59) return -1;
                offset_minutes = (zone == '+' ? 1 : -1) * (oh * 60 + om);
            } else {
                return -1;
            }
        }
        if (i != n) return -1;
    }
    long long days = days_from_civil(year, (unsigned)month, (unsigned)day);
    long long ms = ((long long)hour * 3600 + minute * 60 + second - offset_minutes * 60) * 1000 + millis;
    long long day_ms = 86400000LL;
    days += ms >= 0 ? ms / day_ms : -((-ms + day_ms - 1) / day_ms);
    ms -= (ms >= 0 ? ms / day_ms : -((-ms + day_ms - 1) / day_ms)) * day_ms;
    if (days < days_from_civil(0, 1, 1) || days > days_from_civil(9999, 12, 31)) return -1;
    format_utc(days, ms, out);
    return 0;
}

void ssot_datetime_now(char out[25]) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    long long ms = (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
    format_utc(ms / 86400000LL, ms % 86400000LL, out);
}

int ssot_uuid_normalize(const char *s, size_t n, char out[37]) {
    if (n != 36) return -1;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (i == 8 || i == 13 || i == 18 || i == 23) {
            if (c != '-') return -1;
        } else if (c >= 'A' && c <= 'F') {
            c = (char)(c - 'A' + 'a');
        } else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
            return -1;
        }
        out[i] = c;
    }
    out[36] = '\0';
    return 0;
}

const char *ssot_value_check(const ssot_field *field, json_t *value, int check_max, char *msg, size_t msg_size) {
    switch (field->type) {
    case SSOT_TYPE_ID:
        if (field->id_kind == SSOT_ID_UUID) {
            char lower[37]; /* stored ids are lowercase */
            if (!json_is_string(value) ||
                ssot_uuid_normalize(json_string_value(value), json_string_length(value), lower) != 0)
                return "must be a UUID";
            json_string_setn(value, lower, 36);
            return NULL;
        }
        return json_is_integer(value) ? NULL : "must be an integer";
    case SSOT_TYPE_INT:
        return json_is_integer(value) ? NULL : "must be an integer";
    case SSOT_TYPE_FLOAT:
        return json_is_number(value) ? NULL : "must be a number";
    case SSOT_TYPE_BOOL:
        return json_is_boolean(value) ? NULL : "must be true or false";
    case SSOT_TYPE_STRING:
    case SSOT_TYPE_TEXT:
        if (!json_is_string(value)) return "must be a string";
        if (check_max && field->max > 0 &&
            ssot_utf8_length(json_string_value(value), json_string_length(value)) > (size_t)field->max) {
            snprintf(msg, msg_size, "must be at most %lld characters", (long long)field->max);
            return msg;
        }
        return NULL;
    case SSOT_TYPE_DATETIME: {
        char canonical[25];
        if (!json_is_string(value) ||
            ssot_datetime_normalize(json_string_value(value), json_string_length(value), canonical) != 0)
            return "must be an ISO 8601 date-time, e.g. 2026-11-25T19:23:46.123Z";
        json_string_setn(value, canonical, 24);
        return NULL;
    }
    case SSOT_TYPE_JSON:
        return NULL;
    case SSOT_TYPE_ENUM:
        if (json_is_string(value))
            for (size_t i = 0; i < field->nvalues; i++)
                if (strcmp(field->values[i], json_string_value(value)) == 0 &&
                    strlen(field->values[i]) == json_string_length(value))
                    return NULL;
        {
            size_t used = (size_t)snprintf(msg, msg_size, "must be one of: ");
            for (size_t i = 0; i < field->nvalues && used < msg_size; i++)
                used += (size_t)snprintf(msg + used, msg_size - used, "%s%s", i ? ", " : "", field->values[i]);
        }
        return msg;
    }
    return "has an unknown type";
}

int ssot_int64_parse(const char *s, size_t n, int64_t *out) {
    int negative = n > 0 && s[0] == '-';
    const char *p = s + negative;
    size_t digits = n - (size_t)negative;
    if (digits == 0 || digits > 19 || (p[0] == '0' && (digits > 1 || negative))) return 0;
    uint64_t v = 0;
    for (size_t i = 0; i < digits; i++) {
        if (p[i] < '0' || p[i] > '9') return 0;
        v = v * 10 + (uint64_t)(p[i] - '0');
    }
    if (v > (uint64_t)INT64_MAX + (uint64_t)negative) return 0;
    *out = negative ? (int64_t)(0 - v) : (int64_t)v;
    return 1;
}

int ssot_uuid_random(char out[37]) {
    static const char hex[] = "0123456789abcdef";
    unsigned char b[16];
    if (RAND_bytes(b, sizeof b) != 1) return -1;
    b[6] = (unsigned char)((b[6] & 0x0F) | 0x40); /* version 4 */
    b[8] = (unsigned char)((b[8] & 0x3F) | 0x80); /* the RFC 4122 variant */
    char *p = out;
    for (int i = 0; i < 16; i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10) *p++ = '-';
        *p++ = hex[b[i] >> 4];
        *p++ = hex[b[i] & 15];
    }
    *p = '\0';
    return 0;
}
