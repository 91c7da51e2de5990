build-stress/obj/src/tools/cmd_validate.o: src/tools/cmd_validate.c \
 include/macext/profile.h include/macext/err.h include/macext/core.h \
 src/tools/tools.h include/macext/store.h
include/macext/profile.h:
include/macext/err.h:
include/macext/core.h:
src/tools/tools.h:
include/macext/store.h:
