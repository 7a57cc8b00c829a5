/* The caller of a request, as every layer sees it: who (the id claim as text), their role and
 * whether that makes them an admin, or anonymous. auth/ fills it from a token; rules, hooks,
 * the store's row filters and the HTTP request carry it. */
#ifndef SSOT_RUNTIME_USER_H
#define SSOT_RUNTIME_USER_H

#define SSOT_USER_ID_MAX 128
#define SSOT_USER_ROLE_MAX 64

/* Anonymous (authenticated == 0) or the claims of a valid token. */
typedef struct ssot_user {
    int authenticated;
    int is_admin;                  /* role equals ir.auth.admin_role */
    char id[SSOT_USER_ID_MAX];     /* the id claim as text ("42" for a numeric claim) */
    char role[SSOT_USER_ROLE_MAX]; /* the role claim, or "" */
    double expires;                /* the token's exp (seconds since 1970), 0 when it has none:
                                    * a WebSocket connection signed in with it closes then */
} ssot_user;

#endif
