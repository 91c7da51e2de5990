build-stress/obj/src/tools/cmd_device.o: src/tools/cmd_device.c \
 src/tools/tools.h include/macext/core.h include/macext/err.h \
 include/macext/store.h
src/tools/tools.h:
include/macext/core.h:
include/macext/err.h:
include/macext/store.h:
