build-stress/obj/src/tools/fleet_run.o: src/tools/fleet_run.c \
 src/tools/fleet.h src/tools/tools.h include/macext/core.h \
 include/macext/err.h include/macext/store.h
src/tools/fleet.h:
src/tools/tools.h:
include/macext/core.h:
include/macext/err.h:
include/macext/store.h:
