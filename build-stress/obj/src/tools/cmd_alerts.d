build-stress/obj/src/tools/cmd_alerts.o: src/tools/cmd_alerts.c \
 src/tools/tools.h include/macext/core.h include/macext/err.h \
 include/macext/store.h
src/tools/tools.h:
include/macext/core.h:
include/macext/err.h:
include/macext/store.h:
