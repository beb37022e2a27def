DROP TABLE login_continuations;
