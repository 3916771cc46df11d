import DefterLog
