build-stress/obj/src/tools/cmd_fleet.o: src/tools/cmd_fleet.c \
 src/tools/fleet.h src/tools/tools.h include/macext/core.h \
 include/macext/err.h include/macext/store.h
src/tools/fleet.h:
src/tools/tools.h:
include/macext/core.h:
include/macext/err.h:
include/macext/store.h:
